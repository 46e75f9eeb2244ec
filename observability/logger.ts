// Structured JSON logs for every process.
import pino from 'pino';

export const logger = pino({ level: process.env.LOG_LEVEL || (process.env.NODE_ENV === 'test' ? 'warn' : 'info') });
export type Logger = typeof logger;
