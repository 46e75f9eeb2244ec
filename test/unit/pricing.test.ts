import { ceilDiv, topUpAmountCents, usageCredits, type MeterRate } from '../../domain/pricing';

// The default price book of spec §2, restated here so a changed rate in config is caught.
const PREMIUM: MeterRate = { unit: 'second', credits: 8, per: 60 };
const BASIC: MeterRate = { unit: 'second', credits: 9, per: 120 };
const NO_WIDGET: MeterRate = { unit: 'second', credits: 9, per: 60 };
const MESSAGE: MeterRate = { unit: 'message', credits: 1, per: 1 };

/** Reference: ceil(a * b / c) in exact integer arithmetic. */
function exactCeil(a: number, b: number, c: number): number {
  const n = BigInt(a) * BigInt(b);
  const d = BigInt(c);
  return Number(n / d + (n % d === 0n ? 0n : 1n));
}

describe('usageCredits = ceil(quantity * credits / per)', () => {
  it.each`
    meter               | rate         | quantity | credits
    ${'call.premium'}   | ${PREMIUM}   | ${0}     | ${0}
    ${'call.premium'}   | ${PREMIUM}   | ${1}     | ${1}
    ${'call.premium'}   | ${PREMIUM}   | ${7}     | ${1}
    ${'call.premium'}   | ${PREMIUM}   | ${8}     | ${2}
    ${'call.premium'}   | ${PREMIUM}   | ${59}    | ${8}
    ${'call.premium'}   | ${PREMIUM}   | ${60}    | ${8}
    ${'call.premium'}   | ${PREMIUM}   | ${61}    | ${9}
    ${'call.premium'}   | ${PREMIUM}   | ${3600}  | ${480}
    ${'call.basic'}     | ${BASIC}     | ${1}     | ${1}
    ${'call.basic'}     | ${BASIC}     | ${40}    | ${3}
    ${'call.basic'}     | ${BASIC}     | ${41}    | ${4}
    ${'call.basic'}     | ${BASIC}     | ${120}   | ${9}
    ${'call.basic'}     | ${BASIC}     | ${121}   | ${10}
    ${'call.basic'}     | ${BASIC}     | ${3600}  | ${270}
    ${'call.no_widget'} | ${NO_WIDGET} | ${1}     | ${1}
    ${'call.no_widget'} | ${NO_WIDGET} | ${20}    | ${3}
    ${'call.no_widget'} | ${NO_WIDGET} | ${21}    | ${4}
    ${'call.no_widget'} | ${NO_WIDGET} | ${60}    | ${9}
    ${'call.no_widget'} | ${NO_WIDGET} | ${61}    | ${10}
    ${'message'}        | ${MESSAGE}   | ${1}     | ${1}
    ${'message'}        | ${MESSAGE}   | ${250}   | ${250}
  `('$meter: $quantity units cost $credits credits', ({ rate, quantity, credits }) => {
    expect(usageCredits(quantity, rate)).toBe(credits);
  });

  it.each([
    ['call.premium', PREMIUM],
    ['call.basic', BASIC],
    ['call.no_widget', NO_WIDGET],
    ['message', MESSAGE],
  ])('%s matches exact integer ceil for every quantity 0..1000', (_name, rate) => {
    for (let q = 0; q <= 1000; q++) {
      expect(usageCredits(q, rate)).toBe(exactCeil(q, rate.credits, rate.per));
    }
  });

  // Each quantity is one where floating-point Math.ceil(q * credits / per) is off by one,
  // so these fail if the implementation loses exactness above 2^53.
  it.each`
    meter               | rate         | quantity
    ${'call.premium'}   | ${PREMIUM}   | ${9007199254740983}
    ${'call.premium'}   | ${PREMIUM}   | ${9007199254740968}
    ${'call.basic'}     | ${BASIC}     | ${9007199254740987}
    ${'call.basic'}     | ${BASIC}     | ${9007199254740934}
    ${'call.no_widget'} | ${NO_WIDGET} | ${9007199254740987}
    ${'call.no_widget'} | ${NO_WIDGET} | ${9007199254740968}
  `('$meter stays exact for quantity $quantity (product beyond 2^53)', ({ rate, quantity }) => {
    const expected = exactCeil(quantity, rate.credits, rate.per);
    expect(Math.ceil((quantity * rate.credits) / rate.per)).not.toBe(expected); // the case is a real trap
    expect(usageCredits(quantity, rate)).toBe(expected);
  });

  it('premium at Number.MAX_SAFE_INTEGER seconds equals the BigInt result', () => {
    const q = Number.MAX_SAFE_INTEGER;
    expect(usageCredits(q, PREMIUM)).toBe(Number((BigInt(q) * 8n + 59n) / 60n));
    expect(usageCredits(q, PREMIUM)).toBe(1200959900632133);
  });
});

describe('topUpAmountCents = ceil(credits * pricePer1000 / 1000)', () => {
  it.each`
    credits  | price   | cents
    ${500}   | ${2000} | ${1000}
    ${1}     | ${2000} | ${2}
    ${1000}  | ${2000} | ${2000}
    ${1234}  | ${2000} | ${2468}
    ${1000}  | ${1999} | ${1999}
    ${1}     | ${1999} | ${2}
    ${500}   | ${1999} | ${1000}
    ${501}   | ${1999} | ${1002}
    ${2000}  | ${1999} | ${3998}
    ${1}     | ${1}    | ${1}
    ${0}     | ${2000} | ${0}
  `('$credits credits at $price per 1000 cost $cents cents', ({ credits, price, cents }) => {
    expect(topUpAmountCents(credits, price)).toBe(cents);
  });

  it('rounds up, never down, for every credit amount 1..2000 at 1999 per 1000', () => {
    for (let c = 1; c <= 2000; c++) {
      const cents = topUpAmountCents(c, 1999);
      expect(cents * 1000).toBeGreaterThanOrEqual(c * 1999);
      expect((cents - 1) * 1000).toBeLessThan(c * 1999);
    }
  });

  it.each`
    credits               | price
    ${4000000000000032}   | ${2000}
    ${4000000000000096}   | ${2000}
    ${4000000000000053}   | ${1999}
  `('stays exact for $credits credits at $price (product beyond 2^53)', ({ credits, price }) => {
    const expected = exactCeil(credits, price, 1000);
    expect(Math.ceil((credits * price) / 1000)).not.toBe(expected); // the case is a real trap
    expect(topUpAmountCents(credits, price)).toBe(expected);
  });
});

describe('ceilDiv', () => {
  it.each`
    n       | d      | q
    ${0n}   | ${60n} | ${0n}
    ${1n}   | ${60n} | ${1n}
    ${60n}  | ${60n} | ${1n}
    ${61n}  | ${60n} | ${2n}
    ${120n} | ${60n} | ${2n}
  `('ceil($n / $d) = $q', ({ n, d, q }) => {
    expect(ceilDiv(n, d)).toBe(q);
  });
});
