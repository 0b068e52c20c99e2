/**
 * Template pages: the list, one version written out, and the publish form. Each lives in
 * pages/templates/; the router (app.tsx) imports them from here.
 */
export { TemplatesPage } from './templates/list';
export { TemplatePage } from './templates/view';
export { PublishTemplate } from './templates/publish';
// One stylesheet for the three pages, bundled with the console's (esbuild collects imported CSS).
import '../styles/templates.css';
