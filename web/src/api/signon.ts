/** Sign-on: the second factor and the identity provider (统一身份认证). */
import type { Me } from '../auth.tsx';

/** What the password step answers an account that needs a second factor. */
export interface SecondFactorStep {
  ticket: string;
  expiresAt: string;
  /** First sign-in: the authenticator to set up. */
  enrol?: { secret: string; otpauthUrl: string; qrDataUrl: string };
}

export type LoginAnswer = { user: Me } | { secondFactor: SecondFactorStep };

export interface SecondFactorAnswer {
  user: Me;
  /** Shown once, at enrolment. */
  recoveryCodes?: string[];
  recoveryCodesLeft?: number;
}

export interface SignInOptions {
  sso: { enabled: boolean; demo: boolean };
}

export interface SignOnPolicy {
  totpForDataOfficers: boolean;
}
