// Placeholder until this page is written.
export function BoardPage() { return <main id="main"><h1>BoardPage</h1></main>; }
export function BoardsIndex() { return <main id="main"><h1>BoardsIndex</h1></main>; }
