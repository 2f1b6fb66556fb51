use topicwire_guest::WsRouter;

pub type BarWsRouter = WsRouter<Req, Data>;

#[route("x", delivery = "sometimes", history = -1)]
pub type Other = WsRouter<Req>;

pub type Service = crate::S;
