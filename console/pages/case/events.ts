/**
 * The case's latest events, kept live. The API pages the timeline oldest first (`after`), and a
 * case can have thousands of events, so the page starts from the end: the first fetch asks for
 * what follows `lastSeq - 50`, and every ~3 s the same feed asks for what follows the newest
 * event it has. One feed serves both the timeline (newest events) and liveness: when an event
 * newer than the view appears (someone else changed the case), the view is reloaded.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, queryString, type ApiProblem } from '../../lib/api';
import { usePolling } from '../../lib/use-api';
import type { CaseEvent, TimelinePage } from '../../lib/types';
import { asProblem } from './problems';

/** Events shown before anyone asks for older ones. */
export const LATEST_WINDOW = 50;
const POLL_MS = 3000;
/** Pages fetched in one go when catching up (a burst of automation events, a slow tab). */
const MAX_PAGES_PER_POLL = 10;

export interface CaseEvents {
  /** Newest first: every event after `floor` that the read model has. */
  latest: CaseEvent[];
  /** Events with seq ≤ floor are not in `latest` (the timeline loads them on request). */
  floor: number;
  ready: boolean;
  error: ApiProblem | undefined;
  /** Ask for new events now (after a command). */
  poll: () => void;
}

export function useCaseEvents(caseUrl: string, lastSeq: number, onNewer: () => void): CaseEvents {
  const [floor] = useState(() => Math.max(0, lastSeq - LATEST_WINDOW));
  const [latest, setLatest] = useState<CaseEvent[]>([]);
  const [ready, setReady] = useState(false);
  const [error, setError] = useState<ApiProblem>();
  const seen = useRef(floor);
  const busy = useRef(false);
  const again = useRef(false);
  const viewSeq = useRef(lastSeq);
  viewSeq.current = lastSeq;
  const newer = useRef(onNewer);
  newer.current = onNewer;

  const poll = useCallback(async () => {
    // One request at a time; a poll asked for meanwhile runs right after.
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    try {
      const fresh: CaseEvent[] = [];
      for (let page = 0; page < MAX_PAGES_PER_POLL; page++) {
        const answer = await api.get<TimelinePage>(`${caseUrl}/timeline${queryString({ after: seen.current, limit: 100 })}`);
        const items = answer.items.filter((e) => e.seq > seen.current);
        fresh.push(...items);
        const last = items[items.length - 1];
        if (last) seen.current = last.seq;
        if (answer.nextCursor === null || !last) break;
      }
      if (fresh.length) {
        setLatest((old) => [...fresh.reverse(), ...old]);
        if (seen.current > viewSeq.current) newer.current();
      }
      setError(undefined);
      setReady(true);
    } catch (err) {
      setError(asProblem(err));
    } finally {
      busy.current = false;
      if (again.current) {
        again.current = false;
        void poll();
      }
    }
  }, [caseUrl]);

  useEffect(() => {
    void poll();
  }, [poll]);
  usePolling(() => void poll(), POLL_MS);
  return { latest, floor, ready, error, poll: () => void poll() };
}
