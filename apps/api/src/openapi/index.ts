export { ApiProblems, JSON_BODY_PROBLEMS, PROBLEM_CONTENT_TYPE } from './api-problems.decorator.js';
export { canonicalJson, createOpenApiDocument, isUndocumentedPath, UNDOCUMENTED_PATHS } from './openapi-document.js';
export { FieldErrorsDto, ProblemDto } from './problem.dto.js';
