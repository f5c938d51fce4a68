import { applyDecorators, Get, Header } from '@nestjs/common';

/** The headers of every small HTML page of ours: never cached, and no referrer, so a token in the URL goes nowhere else. */
export const HtmlAnswer = () =>
  applyDecorators(
    Header('content-type', 'text/html; charset=utf-8'),
    Header('cache-control', 'no-store'),
    Header('referrer-policy', 'no-referrer'),
  );

/** A GET route that serves one of our small HTML pages behind an emailed link. */
export const HtmlPage = () => applyDecorators(Get(), HtmlAnswer());

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Every value that reaches a page goes through here. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}
