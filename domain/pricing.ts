// Exact integer pricing. BigInt keeps ceil(a*b/c) exact even where a*b passes 2^53.

export interface MeterRate {
  unit: string;
  credits: number;
  per: number;
}

export interface PriceBook {
  currency: string;
  creditPricePer1000Cents: number;
  minTopUpCredits: number;
  meters: Record<string, MeterRate>;
}

export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator - 1n) / denominator;
}

/** Credits billed for one usage event: ceil(quantity * credits / per). */
export function usageCredits(quantity: number, rate: MeterRate): number {
  return Number(ceilDiv(BigInt(quantity) * BigInt(rate.credits), BigInt(rate.per)));
}

/** Cents charged for a top-up of `credits`: ceil(credits * price / 1000). */
export function topUpAmountCents(credits: number, pricePer1000Cents: number): number {
  return Number(ceilDiv(BigInt(credits) * BigInt(pricePer1000Cents), 1000n));
}
