import { ValidateBy } from 'class-validator';
import { passwordProblem } from '../domain/password-policy.js';

/** A DTO field that applies the domain's own password policy, so the two can never disagree. */
export const IsAcceptablePassword = () =>
  ValidateBy({
    name: 'isAcceptablePassword',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && passwordProblem(value) === null,
      defaultMessage: (args) => (typeof args?.value === 'string' ? (passwordProblem(args.value) ?? '') : 'password must be a string'),
    },
  });
