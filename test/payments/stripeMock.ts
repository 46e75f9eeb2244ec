import { findExecutable, goInstall } from '../../worker/temporalCli';

const STRIPE_MOCK_MODULE = 'github.com/stripe/stripe-mock@latest';

/** stripe-mock on PATH or in Go's bin directory, installed with `go install` when missing (as `npm start` does the Temporal CLI). */
export function findStripeMock(): string {
  const path = findExecutable('stripe-mock', process.env.STRIPE_MOCK_PATH) ?? goInstall(STRIPE_MOCK_MODULE, 'stripe-mock');
  if (!path) throw new Error(`stripe-mock not found and Go could not install it: go install ${STRIPE_MOCK_MODULE}`);
  return path;
}
