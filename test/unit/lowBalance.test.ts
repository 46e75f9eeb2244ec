import { lowBalanceCheck } from '../../domain/lowBalance';

describe('lowBalanceCheck', () => {
  it.each`
    available | wasBelow | below    | notify   | case
    ${150}    | ${false} | ${false} | ${false} | ${'above the threshold'}
    ${100}    | ${false} | ${false} | ${false} | ${'at the threshold is not low'}
    ${99}     | ${false} | ${true}  | ${true}  | ${'crossing below notifies'}
    ${-20}    | ${false} | ${true}  | ${true}  | ${'dropping into debt notifies'}
    ${50}     | ${true}  | ${true}  | ${false} | ${'still below: no second notice'}
    ${100}    | ${true}  | ${false} | ${false} | ${'back at the threshold re-arms silently'}
    ${500}    | ${true}  | ${false} | ${false} | ${'back above re-arms silently'}
  `('$case (available $available, threshold 100)', ({ available, wasBelow, below, notify }) => {
    expect(lowBalanceCheck(available, 100, wasBelow)).toEqual({ below, notify });
  });

  it('notifies once per crossing over a sequence of balances', () => {
    let wasBelow = false;
    const notices: number[] = [];
    for (const available of [300, 90, 80, -5, 100, 120, 60, 40, 100, 99]) {
      const { below, notify } = lowBalanceCheck(available, 100, wasBelow);
      if (notify) notices.push(available);
      wasBelow = below;
    }
    expect(notices).toEqual([90, 60, 99]);
  });
});
