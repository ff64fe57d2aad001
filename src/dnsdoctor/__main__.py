from dnsdoctor.cli.main import main

main()
