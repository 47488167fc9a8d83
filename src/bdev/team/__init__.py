"""The team around the backend developer: phases and milestones as status files.

A project's plan lives in Markdown checklists that people and bdev both edit
(`statusfile`); `board` reads all of them at once and says which tasks are ready;
`orchestrator` runs each ready task as a normal bdev run (`runtime.dispatch`), hands it
its task as a `handoff`, checks the acceptance and ticks the box. Implementation tasks
work on their own git worktree and are merged only after a reviewer approves and the
gates are green (`implement`, `gitops`, `prs`, `review`).
"""
