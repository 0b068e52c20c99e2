// Placeholder until this page is written.
export function CasesList() { return <main id="main"><h1>CasesList</h1></main>; }
