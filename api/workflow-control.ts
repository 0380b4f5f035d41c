// Steering a long-running workflow (pause/resume/cancel) by validated update,
// with the answers an API caller needs: 404 when it never existed, 409 when
// it has ended or its validator refused, and the new run asked when the
// update met a continue-as-new hand-over.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { ConflictProblem, NotFoundProblem } from '../domain/problems.ts';

export async function controlWorkflow<Ret, Control extends string>(
  temporal: Client,
  workflowId: string,
  update: UpdateDefinition<Ret, [Control]>,
  control: Control,
  what: { kind: string; id: string },
): Promise<Ret> {
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    return await handle.executeUpdate(update, { args: [control] });
  } catch (error) {
    // The workflow's validator refused: its message says why (already paused, ended…).
    if (error instanceof WorkflowUpdateFailedError) throw new ConflictProblem(error.cause?.message ?? error.message);
    if (!(error instanceof WorkflowNotFoundError)) throw error;
  }
  // A closed run takes no updates: it exists (409, it has ended) or never did (404).
  const description = await handle.describe().catch((cause: unknown) => {
    if (cause instanceof WorkflowNotFoundError) throw new NotFoundProblem(what.kind, what.id);
    throw cause;
  });
  if (description.status.name !== 'RUNNING') throw new ConflictProblem(`the ${what.kind.toLowerCase()} ${what.id} has ended (${description.status.name.toLowerCase()})`);
  try {
    return await handle.executeUpdate(update, { args: [control] });
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw new ConflictProblem(error.cause?.message ?? error.message);
    throw error;
  }
}
