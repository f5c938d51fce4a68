import type { SchemaObject } from '@nestjs/swagger';

const indicators: SchemaObject = {
  type: 'object',
  additionalProperties: { type: 'object', required: ['status'], properties: { status: { type: 'string' } }, additionalProperties: true },
  example: { postgres: { status: 'up' }, redis: { status: 'up' } },
};

/** A passing @nestjs/terminus check result (a failing one is answered as problem+json by the problem filter). */
export const HEALTH_OK_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok'] },
    info: indicators,
    error: indicators,
    details: indicators,
  },
};
