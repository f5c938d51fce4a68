/**
 * An error a context's domain raises on purpose. `code` is stable and reaches
 * API clients in problem+json bodies; the HTTP edge decides the status (the
 * domain knows no HTTP).
 */
export class DomainError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
