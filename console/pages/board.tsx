/**
 * Boards: /console/boards lists the templates, /console/boards/:template shows the open cases
 * of one template by stage. Cards move by dragging them onto a column or, from the keyboard, with
 * each card's "Move to…" menu; both send the same advance command. A move back or a skip asks for
 * a reason first; a refused move says why (what the stage still needs) above the columns. The
 * board polls every 5 s so other people's moves appear without a reload.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, ApiProblem, idempotencyKey, seg } from '../lib/api';
import { useApi, usePolling, useTitle } from '../lib/use-api';
import type { PublishedTemplate, TemplateDefinition, TemplateList } from '../lib/types';
import { Loading, ProblemMessage } from '../components/problem';
import { BoardCard, moveDirection, type CardActions, type StageRef } from '../components/board-card';
import { ReasonDialog, type ReasonRequest } from '../components/board-reason-dialog';
import type { BoardData, BoardStage, CaseItem } from '../components/list-types';
import '../styles/board.css';

const POLL_MS = 5_000;
const BOARD_LIMIT = 500;

export function BoardsIndex() {
  useTitle('Boards');
  const templates = useApi<TemplateList>('/v1/templates');
  return (
    <main id="main" tabIndex={-1}>
      <h1>Boards</h1>
      <p class="hint">One board per template: its open cases, by stage.</p>
      {templates.error && <ProblemMessage error={templates.error} title="Could not load the templates" />}
      {!templates.data && !templates.error && <Loading label="Loading templates" />}
      {templates.data && templates.data.items.length === 0 && (
        <p>
          No template is published yet. <a href="/console/templates">Templates</a>
        </p>
      )}
      {templates.data && templates.data.items.length > 0 && (
        <ul class="board-index">
          {templates.data.items.map((t) => (
            <li key={t.key}>
              <a href={`/console/boards/${seg(t.key)}`}>{t.name}</a> <span class="hint">{t.key} · version {t.latestVersion}</span>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}

/** What a refused move is shown with: the case, where it was going, and the API's problem. */
interface Refusal {
  caseId: string;
  caseTitle: string;
  toName: string;
  error: ApiProblem;
}

interface PendingMove {
  c: CaseItem;
  to: string;
  request: ReasonRequest;
  /** Kept from the first attempt, so a retry of the same user action is applied once. */
  key: string;
}

/** Labels for what a stage still needs: field, document and checklist-task keys → their names in the template. */
function labeller(definition: TemplateDefinition | undefined) {
  const fields = new Map(definition?.fields?.map((f) => [f.key, f.label ?? f.key]) ?? []);
  const documents = new Map(definition?.documents?.map((d) => [d.key, d.label ?? d.key]) ?? []);
  const tasks = new Map<string, string>();
  for (const s of definition?.stages ?? []) for (const t of s.tasks ?? []) tasks.set(t.key, t.title);
  return {
    field: (k: string) => fields.get(k) ?? k,
    document: (k: string) => documents.get(k) ?? k,
    task: (k: string) => tasks.get(k) ?? k,
  };
}

function RefusalMessage({ refusal, labels, onDismiss }: { refusal: Refusal; labels: ReturnType<typeof labeller>; onDismiss: () => void }) {
  const { error } = refusal;
  const missing = error.problem.missing;
  const any = missing && (missing.fields.length > 0 || missing.documents.length > 0 || missing.tasks.length > 0);
  return (
    <div class="problem board-refusal" role="alert">
      <strong>
        {refusal.caseId} “{refusal.caseTitle}” was not moved to {refusal.toName}
      </strong>
      {/* With a list of what is missing, the API's one-line detail (keys, not labels) would only repeat it. */}
      {!any && <p>{error.message}</p>}
      {any && (
        <ul class="missing">
          {missing.fields.length > 0 && <li>Fields still needed: {missing.fields.map(labels.field).join(', ')}</li>}
          {missing.documents.length > 0 && <li>Documents still needed: {missing.documents.map(labels.document).join(', ')}</li>}
          {missing.tasks.length > 0 && <li>Tasks still open: {missing.tasks.map(labels.task).join(', ')}</li>}
        </ul>
      )}
      <p class="refusal-actions">
        <a href={`/console/cases/${seg(refusal.caseId)}`}>Open {refusal.caseId}</a>
        <button type="button" class="link" onClick={onDismiss}>
          Dismiss
        </button>
      </p>
    </div>
  );
}

function Column({
  templateKey,
  stage,
  stages,
  menuFor,
  moving,
  minute,
  actions,
  dropTarget,
  onDragOverColumn,
  onDropColumn,
  onLeaveColumn,
}: {
  templateKey: string;
  stage: BoardStage;
  stages: StageRef[];
  menuFor: string | null;
  moving: string | null;
  minute: number;
  actions: CardActions;
  dropTarget: boolean;
  onDragOverColumn: (e: DragEvent, stage: string) => void;
  onDropColumn: (e: DragEvent, stage: string) => void;
  onLeaveColumn: (e: DragEvent, stage: string) => void;
}) {
  const headingId = `stage-${stage.key}`;
  const shown = stage.cases.length;
  return (
    <section
      class={`board-column${dropTarget ? ' drop-target' : ''}`}
      aria-labelledby={headingId}
      data-stage={stage.key}
      onDragOver={(e) => onDragOverColumn(e, stage.key)}
      onDragEnter={(e) => onDragOverColumn(e, stage.key)}
      onDragLeave={(e) => onLeaveColumn(e, stage.key)}
      onDrop={(e) => onDropColumn(e, stage.key)}
    >
      <header class="column-head">
        <h2 id={headingId}>{stage.name}</h2>
        <p class="column-counts">
          <span class="column-count">{stage.count === 1 ? '1 case' : `${stage.count} cases`}</span>
          {stage.overdue > 0 && <span class="badge overdue">{stage.overdue} overdue</span>}
          {stage.terminal && <span class="badge">Final stage</span>}
        </p>
        {shown < stage.count && (
          <p class="hint">
            Showing {shown} of {stage.count}: <a href={`/console/cases?template=${seg(templateKey)}&stage=${seg(stage.key)}&status=open`}>see them all in the list</a>
          </p>
        )}
      </header>
      {shown === 0 ? (
        <p class="column-empty">No open cases</p>
      ) : (
        <ul class="board-cards">
          {stage.cases.map((c) => (
            <BoardCard key={c.id} c={c} stages={stages} menuOpen={menuFor === c.id} busy={moving === c.id} minute={minute} actions={actions} />
          ))}
        </ul>
      )}
    </section>
  );
}

export function BoardPage() {
  const { params } = useRoute();
  const templateKey = params.template ?? '';
  const url = `/v1/boards/${seg(templateKey)}?limit=${BOARD_LIMIT}`;
  const board = useApi<BoardData>(url);
  const template = useApi<PublishedTemplate>(`/v1/templates/${seg(templateKey)}`);
  useTitle(board.data ? `${board.data.template.name} board` : 'Board');

  const [menuFor, setMenuFor] = useState<string | null>(null);
  const [moving, setMoving] = useState<string | null>(null);
  const [pending, setPending] = useState<PendingMove | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [notice, setNotice] = useState('');
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const dragging = useRef<CaseItem | null>(null);
  /** After a keyboard move, the card whose "Move to…" button gets focus back once it is in its new column. */
  const focusAfter = useRef<string | null>(null);
  const boardRef = useRef(board);
  boardRef.current = board;
  const urlRef = useRef(url);
  urlRef.current = url;
  const busy = useRef(false);
  busy.current = moving !== null;

  // Skip a poll while a move is in flight: its own reload follows, and a stale answer would make the card jump back.
  usePolling(() => {
    if (!busy.current) void boardRef.current.reload();
  }, POLL_MS);

  // The stage order and names, as stable as the board's stages are: cards compare it by identity.
  const stageKeys = board.data?.stages.map((s) => `${s.key}\u0000${s.name}`).join('\u0001') ?? '';
  const stages = useMemo<StageRef[]>(() => board.data?.stages.map((s) => ({ key: s.key, name: s.name })) ?? [], [stageKeys]);
  const stagesRef = useRef(stages);
  stagesRef.current = stages;
  const labels = useMemo(() => labeller(template.data?.definition), [template.data]);
  const minute = Math.floor(Date.now() / 60_000);

  useEffect(() => {
    const id = focusAfter.current;
    if (!id) return;
    const button = document.querySelector<HTMLButtonElement>(`.board-card[data-case="${CSS.escape(id)}"] .move-button`);
    if (button && !button.disabled) {
      button.focus();
      focusAfter.current = null;
    }
  });

  const stageName = (key: string) => stagesRef.current.find((s) => s.key === key)?.name ?? key;

  /**
   * After an accepted move, reload until the board shows the case where it went: the board comes
   * from the read model, which can trail the case by a moment.
   */
  const reloadUntil = async (caseId: string, stage: string) => {
    for (let attempt = 0; attempt < 15; attempt++) {
      try {
        const data = await api.get<BoardData>(url);
        const there = data.stages.find((s) => s.key === stage)?.cases.some((c) => c.id === caseId);
        const gone = !data.stages.some((s) => s.cases.some((c) => c.id === caseId));
        if (there || gone || attempt === 14) {
          // Not if the user went on to another board meanwhile: this answer is not that board's.
          if (urlRef.current === url) boardRef.current.set(data);
          return;
        }
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await boardRef.current.reload();
  };

  const send = async (c: CaseItem, to: string, key: string, reason?: string) => {
    setMoving(c.id);
    setRefusal(null);
    setNotice(`Moving ${c.id} to ${stageName(to)}…`);
    try {
      await api.post(`/v1/cases/${seg(c.id)}/advance`, { to, ...(reason ? { reason } : {}) }, { headers: { 'Idempotency-Key': key } });
      await reloadUntil(c.id, to);
      setNotice(`${c.id} moved to ${stageName(to)}.`);
    } catch (err) {
      const error = err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) });
      // The board's stage order can differ from the version the case pinned: ask for the reason the API wants.
      if (error.code === 'reason_required' && !reason) {
        const direction = moveDirection(stagesRef.current, c.stage, to);
        setPending({ c, to, key, request: { caseId: c.id, caseTitle: c.title, toName: stageName(to), direction: direction === 'forward' ? 'skip' : direction } });
        setNotice('');
      } else {
        setRefusal({ caseId: c.id, caseTitle: c.title, toName: stageName(to), error });
        setNotice('');
        void boardRef.current.reload();
      }
    } finally {
      setMoving(null);
    }
  };

  const moveRef = useRef<(c: CaseItem, to: string) => void>(() => undefined);
  moveRef.current = (c: CaseItem, to: string) => {
    setMenuFor(null);
    if (to === c.stage || moving) return;
    const direction = moveDirection(stagesRef.current, c.stage, to);
    const key = idempotencyKey();
    if (direction !== 'forward') {
      setPending({ c, to, key, request: { caseId: c.id, caseTitle: c.title, toName: stageName(to), direction } });
      return;
    }
    void send(c, to, key);
  };

  // One actions object for every card (stable identity, so cards skip re-rendering on polls).
  const actions = useMemo<CardActions>(
    () => ({
      toggleMenu: (caseId, focusTrigger) => {
        setMenuFor(caseId);
        if (caseId === null && focusTrigger) {
          // The menu is gone after this render; its button stays.
          const open = document.querySelector<HTMLButtonElement>('.move-button[aria-expanded="true"]');
          open?.focus();
        }
      },
      move: (c, to) => {
        if (document.activeElement?.closest('.move-menu')) focusAfter.current = c.id;
        moveRef.current(c, to);
      },
      dragStart: (c) => {
        dragging.current = c;
        setMenuFor(null);
      },
      dragEnd: () => {
        dragging.current = null;
        setDropTarget(null);
      },
    }),
    [],
  );

  const onDragOverColumn = useCallback((e: DragEvent, stage: string) => {
    const c = dragging.current;
    if (!c || c.stage === stage) return;
    // Accepting the drop: without preventDefault the browser refuses it.
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'move';
    setDropTarget(stage);
  }, []);
  const onLeaveColumn = useCallback((e: DragEvent, stage: string) => {
    // dragleave also fires when moving over the column's own children: only leaving the column counts.
    const into = e.relatedTarget as Node | null;
    if (into && (e.currentTarget as HTMLElement).contains(into)) return;
    setDropTarget((t) => (t === stage ? null : t));
  }, []);
  const onDropColumn = useCallback((e: DragEvent, stage: string) => {
    const c = dragging.current;
    dragging.current = null;
    setDropTarget(null);
    if (!c) return;
    e.preventDefault();
    moveRef.current(c, stage);
  }, []);

  if (board.error && !board.data) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Board</h1>
        <ProblemMessage error={board.error} title={board.error.status === 404 ? 'No such template' : 'Could not load the board'} />
        <p>
          <a href="/console/boards">All boards</a>
        </p>
      </main>
    );
  }
  if (!board.data) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Board</h1>
        <Loading label="Loading the board" />
      </main>
    );
  }

  const data = board.data;
  const total = data.stages.reduce((n, s) => n + s.count, 0);
  return (
    <main id="main" tabIndex={-1} class="board-page">
      <div class="board-heading">
        <h1>{data.template.name}</h1>
        <p class="hint">
          {total === 1 ? '1 open case' : `${total} open cases`} · drag a card onto another stage, or use its “Move to…” button · updates every {POLL_MS / 1000} s ·{' '}
          <a href={`/console/cases?template=${seg(data.template.key)}&status=open`}>as a list</a>
        </p>
      </div>
      {/* Announced politely; refusals are alerts. */}
      <p class="visually-hidden" role="status" aria-live="polite">
        {notice}
      </p>
      {refusal && <RefusalMessage refusal={refusal} labels={labels} onDismiss={() => setRefusal(null)} />}
      {board.error && <ProblemMessage error={board.error} title="Could not refresh the board (showing the last one loaded)" />}
      <div class="board-columns">
        {data.stages.map((s) => (
          <Column
            key={s.key}
            templateKey={data.template.key}
            stage={s}
            stages={stages}
            menuFor={menuFor}
            moving={moving}
            minute={minute}
            actions={actions}
            dropTarget={dropTarget === s.key}
            onDragOverColumn={onDragOverColumn}
            onDropColumn={onDropColumn}
            onLeaveColumn={onLeaveColumn}
          />
        ))}
      </div>
      {pending && (
        <ReasonDialog
          key={`${pending.c.id}:${pending.to}`}
          request={pending.request}
          // A keyboard user's focus goes back to the card's "Move to…" button (focusAfter), wherever the move started.
          onCancel={() => setPending(null)}
          onConfirm={(reason) => {
            const p = pending;
            setPending(null);
            void send(p.c, p.to, p.key, reason);
          }}
        />
      )}
    </main>
  );
}
