"""One module of checks per lesson: `from lab.exercises.start_here import check_todo_title`."""
