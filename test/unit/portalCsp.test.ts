// The portal's CSP: no inline script ever; Stripe's origins only when payments go through Stripe.
import { portalCsp } from '../../api/portalHeaders';

test('the sandbox page loads nothing from another origin and runs no inline script', () => {
  const csp = portalCsp("'self'", false);
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("frame-src 'none'");
  expect(csp).not.toMatch(/unsafe-inline|https:/);
  expect(csp).toMatch(/frame-ancestors 'self'$/);
});

test('with Stripe, Stripe.js and its 3-D Secure frames are allowed, still no inline script', () => {
  const csp = portalCsp('https://app.example.com', true);
  expect(csp).toContain("script-src 'self' https://js.stripe.com;");
  expect(csp).toContain('frame-src https://js.stripe.com https://hooks.stripe.com');
  expect(csp).toContain("connect-src 'self' https://api.stripe.com");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toMatch(/frame-ancestors https:\/\/app\.example\.com$/);
});
