// A small InstaView API client for Node.js 20+: no npm packages, only the global fetch.
// One method per operation of the harness vocabulary (../../docs/clients.md), the same
// names as the Python reference client, camelCased.

export class InstaViewError extends Error {
  // status: HTTP status or null when no answer arrived; code: the envelope's error code.
  constructor(message, { status = null, code = null, details = {}, requestId = null } = {}) {
    super(message);
    this.name = "InstaViewError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.requestId = requestId;
  }
}

// Safe to repeat (docs/clients.md "Retries"): reads and deletes, never a create.
const SAFE_OPS = new Set([
  "listInterviews", "getInterview", "listCandidates", "getCandidate", "listJobs", "getJob",
  "listAgents", "getAgent", "listCompanies", "getCompany", "listWebhooks", "getWebhook",
  "getBillingUsage",
  "deleteInterview", "deleteCandidate", "deleteJob", "deleteAgent", "deleteWebhook",
  "deleteCallAttempt",
]);
const DELETE_OPS = new Set([
  "deleteInterview", "deleteCandidate", "deleteJob", "deleteAgent", "deleteWebhook",
  "deleteCallAttempt",
]);
const NO_COMPANY_PARAM = new Set(["createCompany", "listCompanies", "getCompany", "updateCompany"]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lostAnswer = (status) => status === null || (status >= 500 && status !== 501);

export class InstaViewClient {
  constructor(baseUrl, apiKey, { companyId = null, timeoutMs = 20000, maxAttempts = 3,
                                 baseDelayMs = 20, maxDelayMs = 200 } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    Object.defineProperty(this, "apiKey", { value: apiKey, enumerable: false }); // never logged
    this.companyId = companyId;
    this.timeoutMs = timeoutMs;
    this.maxAttempts = maxAttempts;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }

  async #once(method, url, body, hasBody) {
    const headers = { Authorization: `Bearer ${this.apiKey}`, Accept: "application/json" };
    const init = { method, headers, signal: AbortSignal.timeout(this.timeoutMs) };
    if (hasBody) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? null : body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      throw new InstaViewError(`no answer from ${this.baseUrl}: ${err.cause?.code ?? err.cause?.message ?? err.name ?? err}`);
    }
    const requestId = response.headers.get("x-request-id");
    if (response.status === 204) return null;
    const text = await response.text();
    let envelope = null;
    try { envelope = JSON.parse(text); } catch { /* not JSON: reported below */ }
    if (envelope && typeof envelope === "object" && "success" in envelope) {
      if (envelope.success === true && response.ok) return envelope.data;
      const err = envelope.error ?? {};
      throw new InstaViewError(err.message ?? `HTTP ${response.status}`, {
        status: response.status, code: err.code ?? null, details: err.details ?? {}, requestId,
      });
    }
    throw new InstaViewError(`HTTP ${response.status}: ${text.slice(0, 200)}`,
                             { status: response.status, requestId });
  }

  async request(op, method, path, { query = {}, body, hasBody = false } = {}) {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== null && v !== undefined) url.searchParams.set(k, String(v));
    }
    if (this.companyId !== null && !NO_COMPANY_PARAM.has(op)) {
      url.searchParams.set("companyId", this.companyId);
    }
    let lostEarlier = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(method, url, body, hasBody);
      } catch (err) {
        if (!(err instanceof InstaViewError)) throw err;
        // A delete whose earlier try lost its answer, now 404: that try deleted it.
        if (lostEarlier && DELETE_OPS.has(op) && err.status === 404 && err.code === "RESOURCE_NOT_FOUND") {
          return ["deleteWebhook", "deleteCallAttempt"].includes(op) ? null : true;
        }
        const retryable = SAFE_OPS.has(op) && attempt < this.maxAttempts && lostAnswer(err.status);
        if (!retryable) throw err;
        lostEarlier = true;
        const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.random() * ceiling);
      }
    }
  }

  // interviews
  createInterview(body) { return this.request("createInterview", "POST", "/interviews", { body, hasBody: true }); }
  listInterviews(query) { return this.request("listInterviews", "GET", "/interviews", { query }); }
  getInterview(id) { return this.request("getInterview", "GET", `/interviews/${enc(id)}`); }
  deleteInterview(id) { return this.request("deleteInterview", "DELETE", `/interviews/${enc(id)}`); }

  // call attempts
  invokeCallAttempt(id, body = { scheduledAt: null }) {
    return this.request("invokeCallAttempt", "POST", `/interviews/${enc(id)}/call-attempts`, { body, hasBody: true });
  }
  rescheduleCallAttempt(id, attemptId, body) {
    return this.request("rescheduleCallAttempt", "PATCH",
      `/interviews/${enc(id)}/call-attempts/${enc(attemptId)}`, { body, hasBody: true });
  }
  deleteCallAttempt(id, attemptId) {
    return this.request("deleteCallAttempt", "DELETE", `/interviews/${enc(id)}/call-attempts/${enc(attemptId)}`);
  }

  // webhooks
  testWebhook(id) { return this.request("testWebhook", "POST", `/webhooks/${enc(id)}/test`); }
  resetWebhookCircuit(id) { return this.request("resetWebhookCircuit", "POST", `/webhooks/${enc(id)}/reset-circuit`); }

  // billing
  getBillingUsage(query) { return this.request("getBillingUsage", "GET", "/billing/usage", { query }); }
}

const enc = (id) => encodeURIComponent(String(id));
const cap = (s) => s[0].toUpperCase() + s.slice(1);

// create/list/get/update/delete for the plain resources, generated from one table.
const RESOURCES = {
  candidate: ["candidates", "/candidates", true],
  job: ["jobs", "/jobs", true],
  agent: ["agents", "/agents", true],
  company: ["companies", "/company", false],
  webhook: ["webhooks", "/webhooks", true],
};
for (const [one, [many, path, deletable]] of Object.entries(RESOURCES)) {
  const proto = InstaViewClient.prototype;
  const C = cap(one);
  proto[`create${C}`] = function (body) { return this.request(`create${C}`, "POST", path, { body, hasBody: true }); };
  proto[`list${cap(many)}`] = function (query) { return this.request(`list${cap(many)}`, "GET", path, { query }); };
  proto[`get${C}`] = function (id) { return this.request(`get${C}`, "GET", `${path}/${enc(id)}`); };
  proto[`update${C}`] = function (id, body) {
    return this.request(`update${C}`, "PATCH", `${path}/${enc(id)}`, { body, hasBody: true });
  };
  if (deletable) {
    proto[`delete${C}`] = function (id) { return this.request(`delete${C}`, "DELETE", `${path}/${enc(id)}`); };
  }
}
