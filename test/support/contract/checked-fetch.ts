import { ResponseContract } from './response-contract.js';

let committed: ResponseContract | undefined;

/** The contract of the committed openapi.json, read once per test file. */
export function apiContract(): ResponseContract {
  committed ??= ResponseContract.committed();
  return committed;
}

/**
 * fetch, then the answer is checked against openapi.json before the test sees
 * it: an undocumented status, content type or body shape throws a
 * ContractViolation naming the route, so the test fails where it called the
 * API. The shared test helpers (api-harness, stack, the typed client) send
 * every request through here.
 */
export async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  const url = input instanceof Request ? input.url : String(input);
  // A connection that dies mid-body (a process killed on purpose) leaves status and headers to check.
  const body = await response
    .clone()
    .text()
    .catch(() => undefined);
  apiContract().check({ method, url, status: response.status, headers: response.headers, body });
  return response;
}
