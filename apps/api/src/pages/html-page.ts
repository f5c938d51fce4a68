import { applyDecorators, Get, Header } from '@nestjs/common';

/**
 * A GET route that serves one of our small HTML pages behind an emailed link:
 * never cached, and no referrer, so the token in the URL goes nowhere else.
 */
export const HtmlPage = () =>
  applyDecorators(
    Get(),
    Header('content-type', 'text/html; charset=utf-8'),
    Header('cache-control', 'no-store'),
    Header('referrer-policy', 'no-referrer'),
  );
