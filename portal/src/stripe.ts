// With Stripe, 3-D Secure is Stripe.js's confirmCardPayment. Stripe requires Stripe.js to be
// loaded from js.stripe.com (it may not be bundled), so it is loaded only then, on first need.
interface StripeJs {
  confirmCardPayment(clientSecret: string): Promise<{ error?: { message?: string } }>;
}

let stripe: Promise<StripeJs> | undefined;

function loadStripe(publishableKey: string): Promise<StripeJs> {
  stripe ??= new Promise<StripeJs>((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'https://js.stripe.com/v3/';
    script.onload = () => resolve((window as unknown as { Stripe: (key: string) => StripeJs }).Stripe(publishableKey));
    script.onerror = () => {
      stripe = undefined;
      reject(new Error('Stripe.js could not be loaded; try again.'));
    };
    document.head.append(script);
  });
  return stripe;
}

/** Runs Stripe's own authentication; answers the reason when it did not succeed. */
export async function confirmWithStripe(publishableKey: string, clientSecret: string): Promise<string | undefined> {
  try {
    const { error } = await (await loadStripe(publishableKey)).confirmCardPayment(clientSecret);
    return error ? (error.message ?? 'Authentication failed.') : undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
