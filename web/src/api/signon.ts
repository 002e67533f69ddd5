/** Sign-on: the second factor and the identity provider (统一身份认证). */
import type { ResponseOf } from './client.ts';

/** What the password step answers: the user, or (an account that needs a second factor) the step to take. */
export type LoginAnswer = ResponseOf<'/api/v1/auth/login', 'post'>;
/** The second step: its ticket and, at the first sign-in, the authenticator to set up. */
export type SecondFactorStep = Extract<LoginAnswer, { secondFactor: unknown }>['secondFactor'];
/** The signed-in user, with the recovery codes shown once at enrolment. */
export type SecondFactorAnswer = ResponseOf<'/api/v1/auth/second-factor', 'post'>;
export type SignInOptions = ResponseOf<'/api/v1/auth/options', 'get'>;
export type SignOnPolicy = ResponseOf<'/api/v1/auth/sign-on-policy', 'get'>;
