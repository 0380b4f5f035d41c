// Every workflow the engine's worker hosts; the worker bundles this file.
export { templateApproval } from './template-approval.ts';
export { serviceReply } from './service-reply.ts';
export { warmupGovernor } from './warmup-governor.ts';
export { campaign } from './campaign.ts';
