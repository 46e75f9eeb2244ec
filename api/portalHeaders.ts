// The portal page's Content-Security-Policy: no inline script and nothing from another origin,
// except Stripe.js and its 3-D Secure frames when payments go through Stripe.
// `formTargets`: other origins a form may post or redirect to (the sandbox checkout's return URL).
export function portalCsp(frameAncestors: string, stripe: boolean, formTargets: string[] = []): string {
  const js = stripe ? ' https://js.stripe.com' : '';
  return [
    "default-src 'self'",
    `script-src 'self'${js}`,
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${stripe ? ' https://api.stripe.com' : ''}`,
    `frame-src ${stripe ? 'https://js.stripe.com https://hooks.stripe.com' : "'none'"}`,
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...formTargets].join(' '),
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}
