import type { TransformFnParams } from 'class-transformer';

/** Trims strings before validation (surrounding spaces are a typing slip, not a different value). */
export const trimString = ({ value }: TransformFnParams): unknown => (typeof value === 'string' ? value.trim() : value);
