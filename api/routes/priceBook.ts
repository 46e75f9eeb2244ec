// The price book, for any authenticated client: what credits cost and what each meter consumes,
// so a client can show prices and estimates without a copy of config/price-book.json.
import { Router } from 'express';
import type { ApiContext } from '../context';

export function priceBookRoutes({ settings }: ApiContext): Router {
  const router = Router();
  const { creditPricePer1000Cents, minTopUpCredits, allocationRates } = settings.rules;
  const body = { currency: settings.priceBook.currency, creditPricePer1000Cents, minTopUpCredits, meters: settings.priceBook.meters, allocationRates };
  router.get('/v1/price-book', (_req, res) => {
    res.json(body);
  });
  return router;
}
