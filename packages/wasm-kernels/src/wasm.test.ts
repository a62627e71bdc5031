import { describeBackend } from '@diffeo/conformance';
import { wasmBackend } from '@diffeo/wasm-kernels';

describeBackend('wasm', () => wasmBackend(), { tolerance: 0 });
