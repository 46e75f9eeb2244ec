/** The largest request body accepted, JSON or webhook; larger gets 413. */
export const MAX_BODY = '1mb';
