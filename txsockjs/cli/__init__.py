"""The command line: ``python -m txsockjs`` (:mod:`.main`), ``twistd sockjs`` (:mod:`.tap`),
options written as text (:mod:`.optiontext`) and ``info`` (:mod:`.about`)."""
