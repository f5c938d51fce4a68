export { apiContract, checkedFetch } from './checked-fetch.js';
export { ContractViolation, ResponseContract, type ObservedResponse, type OpenApiDocument } from './response-contract.js';
