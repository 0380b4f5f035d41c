// Every workflow the engine's worker hosts; the worker bundles this file.
// Product workflows (template approval, warm-up, campaigns) arrive with their issues.
export {};
