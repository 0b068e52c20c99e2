// Placeholder until this page is written.
export function CasePage() { return <main id="main"><h1>CasePage</h1></main>; }
