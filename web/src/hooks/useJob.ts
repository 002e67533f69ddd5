import { useEffect, useState } from 'react';
import { getJob, jobEnded, type Job } from '../api/catalog.ts';
import { useLoad, type Loaded } from './useLoad.ts';

/**
 * A background job followed until it ends: asked again `every` ms after each answer while it is
 * queued or running, then no more. `data` is the job's last state (undefined until the first answer
 * for this job id); `error` is a failed poll (polling goes on).
 */
export function useJob(jobId: string | undefined, every = 500): Loaded<Job> {
  const [ended, setEnded] = useState<string>();
  const loaded = useLoad(() => getJob(jobId!), [jobId], { when: !!jobId && ended !== jobId, every });
  // Stops polling once the answer shown says the job ended (after it is shown, so that answer stays).
  useEffect(() => {
    if (loaded.data && jobEnded(loaded.data)) setEnded(loaded.data.id);
  }, [loaded.data]);
  return loaded.data?.id === jobId ? loaded : { ...loaded, data: undefined };
}
