/**
 * One case, everything about it on one page: header (stages, SLA clock), fields, tasks,
 * documents, discussion (comments, decisions), participants, actions and the timeline. The view
 * (`GET /v1/cases/:id`) says what the caller may do (`allowed`): each section offers only that.
 * The template version the case pins types the fields and names stages and slots. The page stays
 * live: a feed of new timeline events (polled) reloads the view when someone else changes the case.
 */
import { useRoute } from 'preact-iso';
import { seg, type ApiProblem } from '../lib/api';
import { useApi, useTitle } from '../lib/use-api';
import type { PublishedTemplate } from '../lib/types';
import { Loading, ProblemMessage } from '../components/problem';
import { CaseContext, type CaseContextValue, type CaseViewForCaller } from './case/context';
import { useCaseEvents } from './case/events';
import { CaseHeader } from './case/header';
import { FieldsSection } from './case/fields';
import { PeopleList, TasksSection } from './case/tasks';
import { DocumentsSection } from './case/documents';
import { DiscussionSection } from './case/discussion';
import { ParticipantsSection } from './case/participants';
import { ActionsSection } from './case/actions';
import { TimelineSection } from './case/timeline';
import '../styles/case.css';

export function CasePage() {
  const { params } = useRoute();
  const id = params.id ?? '';
  // A new key per case: moving from one case to another starts every section afresh.
  return <CaseLoader key={id} id={id} />;
}

function CaseLoader({ id }: { id: string }) {
  const caseUrl = `/v1/cases/${seg(id)}`;
  const kase = useApi<CaseViewForCaller>(caseUrl);
  const pinned = kase.data?.template;
  const template = useApi<PublishedTemplate>(pinned ? `/v1/templates/${seg(pinned.key)}/versions/${pinned.version}` : undefined);
  useTitle(kase.data ? `${kase.data.id} ${kase.data.title}` : id);

  if (kase.error && !kase.data) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Case {id}</h1>
        <ProblemMessage error={kase.error} title={kase.error.status === 404 ? `There is no case ${id} you may see` : 'The case could not be loaded'} />
        <p>
          <a href="/console/cases">Back to the cases</a>
        </p>
      </main>
    );
  }
  if (template.error) {
    return (
      <main id="main" tabIndex={-1}>
        <h1>Case {id}</h1>
        <ProblemMessage error={template.error} title="The case's template could not be loaded" />
      </main>
    );
  }
  if (!kase.data || !template.data) {
    return (
      <main id="main" tabIndex={-1}>
        <Loading label={`Loading case ${id}`} />
      </main>
    );
  }
  return <CaseLoaded view={kase.data} template={template.data} caseUrl={caseUrl} reloadView={kase.reload} viewError={kase.error} />;
}

function CaseLoaded(props: { view: CaseViewForCaller; template: PublishedTemplate; caseUrl: string; reloadView: () => Promise<void>; viewError: ApiProblem | undefined }) {
  const { view, caseUrl, reloadView } = props;
  const events = useCaseEvents(caseUrl, view.lastSeq, () => void reloadView());
  const context: CaseContextValue = {
    view,
    template: props.template.definition,
    caseUrl,
    reload: async () => {
      await reloadView();
      events.poll();
    },
  };
  return (
    <CaseContext.Provider value={context}>
      <main id="main" tabIndex={-1} class="case-page">
        <CaseHeader />
        {props.viewError && <ProblemMessage error={props.viewError} title="The case could not be refreshed" />}
        <div class="case-layout">
          <div class="case-main">
            <FieldsSection />
            <TasksSection />
            <DocumentsSection />
            <DiscussionSection events={events} />
          </div>
          <div class="case-side">
            <ActionsSection />
            <ParticipantsSection />
          </div>
        </div>
        <TimelineSection events={events} />
        <PeopleList />
      </main>
    </CaseContext.Provider>
  );
}
