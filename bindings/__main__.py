from bindings.cli import main

raise SystemExit(main())
