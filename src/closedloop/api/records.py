"""四项管理 under an item: goals, problems, projects, results, and evidence of results."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Response, delete, get, patch, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody, QueryParameter

from closedloop.api.schemas.common import changes, read, read_all
from closedloop.api.schemas.records import EvidenceLinkIn, EvidenceRead, GoalCreate, GoalRead, GoalUpdate, ProblemCreate, ProblemRead, ProblemUpdate, ProjectCreate, ProjectRead, ProjectUpdate, ResultCreate, ResultRead, ResultUpdate, VersionIn
from closedloop.api.schemas.reports import GoalChangeIn, GoalChangeRead, GoalValueRead, ReopenIn
from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, any_role, supervisor_or_admin
from closedloop.http_common import IdPath
from closedloop.domain.errors import Invalid, Issue
from closedloop.services import goal_changes, records, values
from closedloop.services.records import GOAL, PROBLEM, PROJECT, RESULT

VersionQ = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="当前版本号")]


class GoalController(Controller):
    path = "/api/v1"
    tags = ["目标"]
    guards = [any_role]

    @get("/items/{item_id:int}/goals", summary="事项的目标")
    async def list_goals(self, item_id: IdPath) -> list[GoalRead]:
        return read_all(GoalRead, await records.list_records(GOAL, item_id))

    @post("/items/{item_id:int}/goals", summary="新增目标")
    async def create_goal(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[GoalCreate]) -> GoalRead:
        return read(GoalRead, await records.create_record(GOAL, actor, item_id, changes(data)))

    @get("/goals/{goal_id:int}", summary="目标详情")
    async def get_goal(self, goal_id: IdPath) -> GoalRead:
        return read(GoalRead, await records.get_record(GOAL, goal_id))

    @patch(
        "/goals/{goal_id:int}",
        summary="修改目标（带版本号）：细算后基期值、目标值等由目标调整申请修改；实际值来自进度填报，管理员可直接更正",
    )
    async def update_goal(self, actor: CurrentActor, goal_id: IdPath, data: JSONBody[GoalUpdate]) -> GoalRead:
        return read(GoalRead, await records.update_record(GOAL, actor, goal_id, data.version, changes(data)))

    @get("/goals/{goal_id:int}/values", summary="目标实际值台账：每一次填报、更正、补报和管理员更正（谁、何时、哪个周期、数值）")
    async def goal_values(self, goal_id: IdPath) -> list[GoalValueRead]:
        await records.get_record(GOAL, goal_id)
        return read_all(GoalValueRead, await values.history(goal_id))

    @get("/goals/{goal_id:int}/change-requests", summary="目标的调整申请")
    async def goal_change_requests(self, goal_id: IdPath) -> list[GoalChangeRead]:
        return read_all(GoalChangeRead, await goal_changes.list_for_goal(goal_id))

    @post("/goals/{goal_id:int}/change-requests", summary="提出目标调整申请（细算后修改基期值、目标值、比较符、时限、计量单位或序时节点）")
    async def request_goal_change(self, actor: CurrentActor, goal_id: IdPath, data: JSONBody[GoalChangeIn]) -> GoalChangeRead:
        return read(GoalChangeRead, await goal_changes.request_change(actor, goal_id, changes(data.changes, drop=()), data.reason))

    @get("/items/{item_id:int}/change-requests", summary="事项的目标调整申请")
    async def item_change_requests(self, item_id: IdPath) -> list[GoalChangeRead]:
        return read_all(GoalChangeRead, await goal_changes.list_for_item(item_id))

    @delete("/goals/{goal_id:int}", status_code=204, summary="删除目标（带版本号）")
    async def delete_goal(self, actor: CurrentActor, goal_id: IdPath, version: VersionQ) -> None:
        await records.delete_record(GOAL, actor, goal_id, version)


class ProblemController(Controller):
    path = "/api/v1"
    tags = ["问题"]
    guards = [any_role]

    @get("/items/{item_id:int}/problems", summary="事项的问题")
    async def list_problems(self, item_id: IdPath) -> list[ProblemRead]:
        return read_all(ProblemRead, await records.list_records(PROBLEM, item_id))

    @post("/items/{item_id:int}/problems", summary="新增问题")
    async def create_problem(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ProblemCreate]) -> ProblemRead:
        return read(ProblemRead, await records.create_record(PROBLEM, actor, item_id, changes(data)))

    @get("/problems/{problem_id:int}", summary="问题详情")
    async def get_problem(self, problem_id: IdPath) -> ProblemRead:
        return read(ProblemRead, await records.get_record(PROBLEM, problem_id))

    @patch("/problems/{problem_id:int}", summary="修改问题（带版本号）")
    async def update_problem(self, actor: CurrentActor, problem_id: IdPath, data: JSONBody[ProblemUpdate]) -> ProblemRead:
        return read(ProblemRead, await records.update_record(PROBLEM, actor, problem_id, data.version, changes(data)))

    @delete("/problems/{problem_id:int}", status_code=204, summary="删除问题（带版本号）")
    async def delete_problem(self, actor: CurrentActor, problem_id: IdPath, version: VersionQ) -> None:
        await records.delete_record(PROBLEM, actor, problem_id, version)

    @post("/problems/{problem_id:int}/verify", guards=[supervisor_or_admin], status_code=200, summary="督查室核销已解决的问题")
    async def verify_problem(self, actor: CurrentActor, problem_id: IdPath, data: JSONBody[VersionIn]) -> ProblemRead:
        return read(ProblemRead, await records.verify_problem(actor, problem_id, data.version))

    @post("/problems/{problem_id:int}/reopen", guards=[supervisor_or_admin], status_code=200, summary="督查室重新打开已核销的问题（退回已解决，单位可更正）")
    async def reopen_problem(self, actor: CurrentActor, problem_id: IdPath, data: JSONBody[ReopenIn]) -> ProblemRead:
        return read(ProblemRead, await records.reopen_problem(actor, problem_id, data.version, data.reason))


class ProjectController(Controller):
    path = "/api/v1"
    tags = ["项目"]
    guards = [any_role]

    @get("/items/{item_id:int}/projects", summary="事项的项目")
    async def list_projects(self, item_id: IdPath) -> list[ProjectRead]:
        return read_all(ProjectRead, await records.list_records(PROJECT, item_id))

    @post("/items/{item_id:int}/projects", summary="新增项目")
    async def create_project(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ProjectCreate]) -> ProjectRead:
        return read(ProjectRead, await records.create_record(PROJECT, actor, item_id, changes(data)))

    @get("/projects/{project_id:int}", summary="项目详情")
    async def get_project(self, project_id: IdPath) -> ProjectRead:
        return read(ProjectRead, await records.get_record(PROJECT, project_id))

    @patch("/projects/{project_id:int}", summary="修改项目（带版本号）")
    async def update_project(self, actor: CurrentActor, project_id: IdPath, data: JSONBody[ProjectUpdate]) -> ProjectRead:
        return read(ProjectRead, await records.update_record(PROJECT, actor, project_id, data.version, changes(data)))

    @delete("/projects/{project_id:int}", status_code=204, summary="删除项目（带版本号）")
    async def delete_project(self, actor: CurrentActor, project_id: IdPath, version: VersionQ) -> None:
        await records.delete_record(PROJECT, actor, project_id, version)


class ResultController(Controller):
    path = "/api/v1"
    tags = ["结果与佐证"]
    guards = [any_role]

    @get("/items/{item_id:int}/results", summary="事项的成效")
    async def list_results(self, item_id: IdPath) -> list[ResultRead]:
        return read_all(ResultRead, await records.list_records(RESULT, item_id))

    @post("/items/{item_id:int}/results", summary="新增成效")
    async def create_result(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ResultCreate]) -> ResultRead:
        return read(ResultRead, await records.create_record(RESULT, actor, item_id, changes(data)))

    @get("/results/{result_id:int}", summary="成效详情")
    async def get_result(self, result_id: IdPath) -> ResultRead:
        return read(ResultRead, await records.get_record(RESULT, result_id))

    @patch("/results/{result_id:int}", summary="修改成效（带版本号）")
    async def update_result(self, actor: CurrentActor, result_id: IdPath, data: JSONBody[ResultUpdate]) -> ResultRead:
        return read(ResultRead, await records.update_record(RESULT, actor, result_id, data.version, changes(data)))

    @delete("/results/{result_id:int}", status_code=204, summary="删除成效（带版本号）")
    async def delete_result(self, actor: CurrentActor, result_id: IdPath, version: VersionQ) -> None:
        await records.delete_record(RESULT, actor, result_id, version)

    @post("/results/{result_id:int}/verify", status_code=200, summary="督查室核验成效")
    async def verify_result(self, actor: CurrentActor, result_id: IdPath, data: JSONBody[VersionIn]) -> ResultRead:
        return read(ResultRead, await records.verify_result(actor, result_id, data.version))

    @post("/results/{result_id:int}/reopen", guards=[supervisor_or_admin], status_code=200, summary="督查室重新打开已核验的成效（单位可更正，之后需再次核验）")
    async def reopen_result(self, actor: CurrentActor, result_id: IdPath, data: JSONBody[ReopenIn]) -> ResultRead:
        return read(ResultRead, await records.reopen_result(actor, result_id, data.version, data.reason))

    @delete("/evidence/{evidence_id:int}", status_code=204, summary="删除佐证（成效核验前，由负责单位）")
    async def delete_evidence(self, actor: CurrentActor, evidence_id: IdPath) -> None:
        await records.delete_evidence(actor, evidence_id)

    @get("/results/{result_id:int}/evidence", summary="成效的佐证列表")
    async def list_evidence(self, result_id: IdPath) -> list[EvidenceRead]:
        return read_all(EvidenceRead, await records.list_evidence(result_id))

    @post("/results/{result_id:int}/evidence/link", summary="添加佐证链接")
    async def add_link(self, actor: CurrentActor, result_id: IdPath, data: JSONBody[EvidenceLinkIn]) -> EvidenceRead:
        return read(EvidenceRead, await records.add_evidence(actor, result_id, url=data.url, note=data.note))

    @post("/results/{result_id:int}/evidence/file", summary="上传佐证文件（multipart，字段 file；记录 SHA-256）")
    async def add_file(
        self,
        actor: CurrentActor,
        result_id: IdPath,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> EvidenceRead:
        upload = data.get("file") if isinstance(data, dict) else None
        if not isinstance(upload, UploadFile):
            raise Invalid("请上传文件（表单字段 file）", [Issue("required", "请上传文件（表单字段 file）", "file")])
        content = await upload.read()
        note = data.get("note") if isinstance(data.get("note"), str) else None
        row = await records.add_evidence(
            actor, result_id, filename=upload.filename, content_type=upload.content_type, content=content, note=note
        )
        return read(EvidenceRead, row)

    @get("/evidence/{evidence_id:int}/file", summary="下载佐证文件")
    async def download(self, evidence_id: IdPath) -> Response[bytes]:
        row = await records.get_evidence_file(evidence_id)
        if row["kind"] != "file" or row["content"] is None:
            raise Invalid("该佐证是链接，没有文件", [Issue("not_a_file", "该佐证是链接，没有文件", "evidence_id")])
        name = (row["filename"] or "evidence").replace('"', "")
        return Response(
            content=bytes(row["content"]),
            media_type=row["content_type"] or "application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "X-SHA256": row["sha256"] or "",
            },
        )
