// Placeholder until this page is written.
export function TemplatesPage() { return <main id="main"><h1>TemplatesPage</h1></main>; }
export function TemplatePage() { return <main id="main"><h1>TemplatePage</h1></main>; }
export function PublishTemplate() { return <main id="main"><h1>PublishTemplate</h1></main>; }
