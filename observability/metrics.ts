// Prometheus metrics of the API and the worker (one registry per process; `npm start` serves both).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const usageEventsAccepted = new Counter({
  name: 'billing_usage_events_accepted_total',
  help: 'Usage events accepted (202) by the API',
  registers: [registry],
});

export const thresholdSignals = new Counter({
  name: 'billing_threshold_signals_total',
  help: 'Threshold crossings signalled to organization workflows, by outcome (sent; pending: left for the sweep; swept: sent by a sweep)',
  labelNames: ['outcome'],
  registers: [registry],
});

export const paymentsTotal = new Counter({
  name: 'billing_payments_total',
  help: 'Charges by kind (auto_recharge, top_up, allocation) and outcome (succeeded, requires_action, processing, declined)',
  labelNames: ['kind', 'outcome'],
  registers: [registry],
});

export const paymentDuration = new Histogram({
  name: 'billing_payment_duration_seconds',
  help: 'Time the payment provider took to answer a charge',
  labelNames: ['kind'],
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'billing_http_request_duration_seconds',
  help: 'API request latency by route and status',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const deliveriesTotal = new Counter({
  name: 'billing_deliveries_total',
  help: 'Delivery attempts of webhooks and e-mail, by channel and outcome (succeeded, failed, gone, refused)',
  labelNames: ['channel', 'outcome'],
  registers: [registry],
});

export const deliveryDuration = new Histogram({
  name: 'billing_delivery_duration_seconds',
  help: 'Time one delivery attempt took (the receiver answering, or the mail server accepting)',
  labelNames: ['channel'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
  registers: [registry],
});
