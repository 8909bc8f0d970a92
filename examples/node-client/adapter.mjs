// JSON-lines adapter (spec harness.md "Any language"): one request per stdin line, one
// answer per stdout line, in order. Run by: instaview-sim check --client-cmd "node examples/node-client/adapter.mjs"
import { createInterface } from "node:readline";
import { InstaViewClient, InstaViewError } from "./client.mjs";

const baseUrl = process.env.INSTAVIEW_BASE_URL;
if (!baseUrl) {
  console.error("adapter.mjs: INSTAVIEW_BASE_URL is not set");
  process.exit(2);
}

// snake_case operation -> how its args map onto the client's method.
const camel = (op) => op.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const SHAPES = {
  body: ["create_interview", "create_candidate", "create_job", "create_agent", "create_webhook", "create_company"],
  id: ["get_interview", "delete_interview", "get_candidate", "delete_candidate", "get_job", "delete_job",
       "get_agent", "delete_agent", "get_webhook", "delete_webhook", "get_company", "test_webhook",
       "reset_webhook_circuit"],
  update: ["update_candidate", "update_job", "update_agent", "update_webhook", "update_company"],
  query: ["list_interviews", "list_candidates", "list_jobs", "list_agents", "list_webhooks",
          "list_companies", "get_billing_usage"],
};
const ARGS = {};
for (const op of SHAPES.body) ARGS[op] = (a) => [a.body];
for (const op of SHAPES.id) ARGS[op] = (a) => [a.id];
for (const op of SHAPES.update) ARGS[op] = (a) => [a.id, a.body];
for (const op of SHAPES.query) ARGS[op] = (a) => [a.query ?? {}];
ARGS.invoke_call_attempt = (a) => [a.id, a.body ?? { scheduledAt: null }];
ARGS.reschedule_call_attempt = (a) => [a.id, a.attempt_id, a.body ?? {}];
ARGS.delete_call_attempt = (a) => [a.id, a.attempt_id];

const clients = new Map();
function clientFor(auth) {
  const key = JSON.stringify([auth.api_key, auth.company_id ?? null]);
  if (!clients.has(key)) {
    clients.set(key, new InstaViewClient(baseUrl, auth.api_key, { companyId: auth.company_id ?? null }));
  }
  return clients.get(key);
}

async function handle(request) {
  const { seq, op, args = {}, auth = {} } = request;
  try {
    if (!(op in ARGS)) throw new Error(`unknown operation ${op}`);
    const client = clientFor(auth);
    const result = await client[camel(op)](...ARGS[op](args));
    return { seq, ok: true, result: result === undefined ? null : result };
  } catch (err) {
    if (err instanceof InstaViewError) {
      return { seq, ok: false, error: { status: err.status, code: err.code, message: err.message } };
    }
    console.error(err?.stack ?? String(err));
    return { seq, ok: false, error: { status: null, code: null, message: String(err?.message ?? err) } };
  }
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {   // one request at a time, answered in order
  if (!line.trim()) continue;
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    console.error(`adapter.mjs: not JSON: ${line.slice(0, 200)}`);
    continue;
  }
  process.stdout.write(JSON.stringify(await handle(request)) + "\n");
}
