// Gathers calls made in the same moment into one: a lane asks for its one row,
// the database sees one statement for every lane that asked meanwhile. Each
// caller gets its own answer (or the batch's error). Saves the round trips
// that would otherwise cap a campaign's send rate.

/** run receives up to maxBatch inputs and answers them in the same order. */
export function coalesce<In, Out>(run: (inputs: In[]) => Promise<Out[]>, maxBatch = 128): (input: In) => Promise<Out> {
  const queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    run(batch.map((item) => item.input)).then(
      (outs) => batch.forEach((item, i) => item.resolve(outs[i]!)),
      (error: unknown) => batch.forEach((item) => item.reject(error)),
    );
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
  return (input) => new Promise<Out>((resolve, reject) => {
    queue.push({ input, resolve, reject });
    schedule();
  });
}
