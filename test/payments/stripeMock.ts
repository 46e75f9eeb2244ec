import { findExecutable } from '../../worker/temporalCli';

/** stripe-mock on PATH or in Go's bin directory (`.ci/run` installs it with `go install`). */
export function findStripeMock(): string {
  const path = findExecutable('stripe-mock', process.env.STRIPE_MOCK_PATH);
  if (!path) throw new Error('stripe-mock not found: go install github.com/stripe/stripe-mock@latest');
  return path;
}
