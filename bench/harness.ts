// Left only for test/helpers/stack.ts, whose `eventually` still comes from here: it belongs in support/processes.
export { waitUntil } from '../support/processes';
