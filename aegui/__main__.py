from aegui.cli import main

raise SystemExit(main())
