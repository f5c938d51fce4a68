import type { Request } from 'express';

/**
 * Why a write to an admin area is refused as cross-site, or null when it came
 * from our own pages. Browsers send Basic credentials with every request to
 * our origin, also one a foreign page makes them send (a cross-site form
 * POST): writes of the admin areas must come from our own pages.
 * `Sec-Fetch-Site` (set by the browser, no page can forge it) decides when
 * present, else `Origin` must name this host. A request with neither is
 * refused: every browser of the last years sends one on a POST, and scripts
 * have the ops CLI.
 *
 * The host, not the whole origin, is compared: behind a proxy that ends TLS
 * the app may see http while the browser says https.
 */
export function crossSiteWriteRefusal(req: Pick<Request, 'get' | 'host'>): string | null {
  const site = req.get('sec-fetch-site');
  const origin = req.get('origin');
  if (site !== undefined) {
    return site === 'same-origin' ? null : `a write from another site (Sec-Fetch-Site: ${site}) is refused`;
  }
  if (origin !== undefined) {
    return hostOf(origin) === (req.host as string | undefined)?.toLowerCase() ? null : 'a write from another origin is refused';
  }
  return 'a write must come from the console page (no Origin or Sec-Fetch-Site header); scripts use the ops CLI';
}

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null; // "null" (sandboxed or privacy-sensitive contexts) or garbage
  }
}

export const FORM_BODY_LIMIT_BYTES = 4096;

/** Why a form body was refused, with the status it answers. */
export class FormBodyError extends Error {
  constructor(
    readonly status: 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'FormBodyError';
  }
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most `limitBytes`.
 * The API's body parser takes JSON only (its DTOs); the admin forms are tiny
 * and need no parser of their own.
 */
export async function readFormBody(req: Request, limitBytes = FORM_BODY_LIMIT_BYTES): Promise<URLSearchParams> {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new FormBodyError(415, 'send the form as application/x-www-form-urlencoded');
  }
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > limitBytes) throw new FormBodyError(413, `the form is larger than ${limitBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new FormBodyError(413, `the form is larger than ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
