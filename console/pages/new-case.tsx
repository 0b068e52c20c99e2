// Placeholder until this page is written.
export function NewCase() { return <main id="main"><h1>NewCase</h1></main>; }
