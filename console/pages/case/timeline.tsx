/**
 * The timeline, newest first. The latest events come from the live feed; older ones are loaded on
 * request ("Load older") in windows below it, because the API pages oldest first and a case may
 * have thousands of events. A filter by kind is applied by the API (`type=`) for older windows and
 * locally to the live feed, which holds every recent event.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { api, queryString, type ApiProblem } from '../../lib/api';
import { browserTimeZone, formatDateTime } from '../../lib/format';
import type { CaseEvent, TimelinePage } from '../../lib/types';
import { stageName, useCase } from './context';
import { asProblem } from './problems';
import { actorLabel, describeEvent } from './timeline-entry';
import { LATEST_WINDOW, type CaseEvents } from './events';

export const TIMELINE_FILTERS: Array<{ key: string; label: string; types?: string[] }> = [
  { key: '', label: 'Everything' },
  { key: 'stages', label: 'Stage moves and status', types: ['case.created', 'stage.entered', 'stage.exited', 'case.closed', 'case.reopened', 'case.cancelled', 'template.migrated'] },
  { key: 'fields', label: 'Field changes', types: ['field.changed'] },
  { key: 'comments', label: 'Comments', types: ['comment.added'] },
  { key: 'decisions', label: 'Decisions', types: ['decision.recorded'] },
  { key: 'tasks', label: 'Tasks', types: ['task.created', 'task.reassigned', 'task.completed', 'task.reopened', 'task.overdue'] },
  { key: 'documents', label: 'Documents', types: ['document.uploaded', 'document.approved', 'document.rejected'] },
  { key: 'people', label: 'Owner and participants', types: ['owner.assigned', 'participant.added', 'participant.removed'] },
  {
    key: 'sla',
    label: 'SLA clock',
    types: ['sla.started', 'sla.goal_missed', 'sla.deadline_missed', 'sla.escalated', 'sla.deadline_changed', 'sla.paused', 'sla.resumed', 'case.stalled'],
  },
  {
    key: 'automations',
    label: 'Automations and messages',
    types: ['automation.ran', 'automation.failed', 'email.sent', 'notification.sent', 'webhook.delivered', 'command.rejected'],
  },
];

/** With a filter, older windows are wider: matching events may be sparse. */
const FILTERED_WINDOW = 500;
/** Windows fetched for one "Load older" with a filter before showing what was found. */
const MAX_WINDOWS_PER_CLICK = 4;
const ENOUGH = 20;

interface Older {
  filter: string;
  items: CaseEvent[];
  /** Every event with seq > low is either in the live feed or in items; low = 0: the start. */
  low: number;
}

export function TimelineSection({ events }: { events: CaseEvents }) {
  const { view, template, caseUrl } = useCase();
  const [filter, setFilter] = useState('');
  const [older, setOlder] = useState<Older>({ filter: '', items: [], low: events.floor });
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<ApiProblem>();
  const [announce, setAnnounce] = useState('');
  const startRef = useRef<HTMLParagraphElement>(null);
  const types = TIMELINE_FILTERS.find((f) => f.key === filter)?.types;
  const current = older.filter === filter ? older : { filter, items: [], low: events.floor };

  useEffect(() => {
    if (older.filter !== filter) setOlder({ filter, items: [], low: events.floor });
    setError(undefined);
  }, [filter]);

  const loadOlder = async () => {
    setLoading(true);
    setError(undefined);
    try {
      let cursor = current.low;
      const found: CaseEvent[] = [];
      const size = types ? FILTERED_WINDOW : LATEST_WINDOW;
      for (let i = 0; i < MAX_WINDOWS_PER_CLICK && cursor > 0; i++) {
        const after = Math.max(0, cursor - size);
        const page = await api.get<TimelinePage>(`${caseUrl}/timeline${queryString({ after, limit: cursor - after, type: types?.join(',') })}`);
        // Events past the window are already shown (or will be, by the live feed).
        found.push(...page.items.filter((e) => e.seq <= cursor));
        cursor = after;
        if (!types || found.length >= ENOUGH) break;
      }
      found.sort((a, b) => b.seq - a.seq);
      setOlder({ filter, items: [...current.items, ...found], low: cursor });
      setAnnounce(found.length ? `Loaded ${found.length} older ${found.length === 1 ? 'event' : 'events'}.` : 'No older events of this kind in that stretch.');
      if (cursor === 0) requestAnimationFrame(() => startRef.current?.focus());
    } catch (err) {
      setError(asProblem(err));
    } finally {
      setLoading(false);
    }
  };

  const latest = types ? events.latest.filter((e) => types.includes(e.type)) : events.latest;
  const shown = [...latest, ...current.items.filter((e) => !latest.some((l) => l.seq === e.seq))];

  return (
    <section class="card case-section timeline" aria-labelledby="timeline-title">
      <div class="timeline-head">
        <h2 id="timeline-title" tabIndex={-1}>
          Timeline
        </h2>
        <div class="field inline">
          <label for="timeline-filter">Show</label>
          <select id="timeline-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            {TIMELINE_FILTERS.map((f) => (
              <option key={f.key} value={f.key}>
                {f.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p class="hint">
        Newest first; times in your time zone ({browserTimeZone}). {filter === '' ? `Showing ${shown.length} of ${view.lastSeq} events.` : `Showing ${shown.length} matching events loaded so far.`}
      </p>
      {events.error && <ProblemMessage error={events.error} title="New events could not be fetched" />}
      {!events.ready && !events.error && <p class="loading">Loading events…</p>}
      {events.ready && shown.length === 0 && <p class="hint">{filter ? 'No events of this kind among those loaded.' : 'No events yet.'}</p>}
      <ol class="events" aria-labelledby="timeline-title">
        {shown.map((e) => (
          <li key={e.seq} class={`event type-${e.type.replace(/\./g, '-')}`}>
            <div class="event-what">{describeEvent(e, view, template)}</div>
            <div class="event-meta hint">
              <span class="event-actor">{actorLabel(e)}</span> · <time dateTime={e.at}>{formatDateTime(e.at)}</time> · {stageName(template, e.stage)} · #{e.seq}
            </div>
          </li>
        ))}
      </ol>
      {error && <ProblemMessage error={error} title="Older events could not be loaded" />}
      <p role="status" class="form-status">
        {announce}
      </p>
      {current.low > 0 ? (
        <button type="button" class="secondary" disabled={loading || !events.ready} onClick={() => void loadOlder()}>
          {loading ? 'Loading…' : 'Load older'}
        </button>
      ) : (
        events.ready && (
          <p ref={startRef} tabIndex={-1} class="hint">
            This is the start of the timeline.
          </p>
        )
      )}
    </section>
  );
}
