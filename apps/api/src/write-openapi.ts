import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { loadConfig } from '@herald/config';
import { AppModule } from './app.module.js';
import { canonicalJson, createOpenApiDocument } from './openapi/index.js';

/**
 * `npm run openapi`: writes the API's OpenAPI document to openapi.json (or the
 * path given) from the controllers' metadata. A preview app instantiates no
 * provider, so no database or Redis is needed; the defaults of the config
 * are enough because nothing connects.
 */
async function main(): Promise<void> {
  const target = resolve(process.argv[2] ?? 'openapi.json');
  const app = await NestFactory.create(AppModule.forRoot(loadConfig({ NODE_ENV: 'test' })), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  writeFileSync(target, canonicalJson(createOpenApiDocument(app)));
  await app.close();
  process.stdout.write(`wrote ${target}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`write-openapi: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
