/**
 * @diffeo/align — the facade DIPY users know from `dipy.align`: `synRegistration`
 * (DIPY's `syn_registration`), metrics by name (`metricByName`), and the one backend
 * loader (`loadBackend('auto' | 'ts' | 'wasm')`) the CLI, the apps and the tools share.
 * Nothing registers on import; every call gets its own context.
 */
export { loadBackend } from './backend.js';
export type { BackendChoice, LoadedBackend } from './backend.js';
export { metricByName, METRIC_OPTIONS } from './metric.js';
export type { MetricName, MetricOptions } from './metric.js';
export { synRegistration } from './syn-registration.js';
export type { SynRegistrationInput, SynRegistrationResult } from './syn-registration.js';
