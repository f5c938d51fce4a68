import createClient, { type Client } from 'openapi-fetch';
import { checkedFetch } from '../contract/index.js';
import type { paths } from './schema.js';

export type { components, paths } from './schema.js';

/** A client of the JSON API typed from openapi.json (paths, bodies and answers are checked by the compiler). */
export type ApiClient = Client<paths>;

/**
 * The typed client the e2e tests call the API with. Its answers also go
 * through the contract check at run time (checkedFetch), so a test fails
 * when the API answers what the types do not say.
 */
export function createApiClient(baseUrl: string): ApiClient {
  return createClient<paths>({ baseUrl, fetch: (request) => checkedFetch(request) });
}

/** `Authorization: Bearer <token>` for a client call's `headers`. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
